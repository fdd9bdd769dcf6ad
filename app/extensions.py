"""Unbound extensions, initialised in the application factory."""
from __future__ import annotations

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.api import LantianApi
from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = LantianApi()
