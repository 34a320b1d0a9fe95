"""Appointment URLs (French paths): holders' booking, advisors' agenda and availability."""

from accompaniment.appointments.views import agenda, availability, booking

app_name = "appointments"
urlpatterns = [*booking.urlpatterns, *agenda.urlpatterns, *availability.urlpatterns]
