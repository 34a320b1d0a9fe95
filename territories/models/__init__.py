from territories.models.address_check import AddressCheck
from territories.models.geography import EPCI, QPV, Commune, Department, Region
from territories.models.place import Place

__all__ = ["EPCI", "QPV", "AddressCheck", "Commune", "Department", "Place", "Region"]
