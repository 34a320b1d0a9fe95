"""Public page "Suis-je dans un quartier prioritaire ?": checks an address against the QPV."""
