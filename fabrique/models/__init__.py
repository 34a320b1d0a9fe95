from fabrique.models.membership import Membership, Organisation, Role
from fabrique.models.tenant import Fabrique, FabriqueHost, FabriqueTarget
from fabrique.models.user import User

__all__ = ["Fabrique", "FabriqueHost", "FabriqueTarget", "Membership", "Organisation", "Role", "User"]
