"""Production settings: the base, as it is. Every secret and host comes from the environment."""

from fabrique.settings.base import *  # noqa: F403
