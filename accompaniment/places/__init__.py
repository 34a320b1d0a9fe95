"""Public pages of a Fabrique's places: list with filters, detail, and the map of its perimeter."""
