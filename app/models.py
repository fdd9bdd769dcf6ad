"""Imports every model module so the metadata (and Alembic) sees all tables."""

from app.alerts import models as alert_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.auth import models as auth_models  # noqa: F401
from app.cases import models as case_models  # noqa: F401
from app.checklists import models as checklist_models  # noqa: F401
from app.documents import models as document_models  # noqa: F401
from app.inspections import models as inspection_models  # noqa: F401
from app.jobs import models as job_models  # noqa: F401
from app.jurisdictions import models as jurisdiction_models  # noqa: F401
from app.maplayers import models as maplayer_models  # noqa: F401
from app.penalties import models as penalty_models  # noqa: F401
from app.photos import models as photo_models  # noqa: F401
from app.review import models as review_models  # noqa: F401
from app.sites import models as site_models  # noqa: F401
from app.stats import models as stats_models  # noqa: F401
from app.zones import models as zone_models  # noqa: F401
