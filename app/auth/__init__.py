"""Users, roles, tokens and the one authorisation helper every endpoint uses."""
