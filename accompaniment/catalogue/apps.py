from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "accompaniment.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue des aides et des acteurs")
