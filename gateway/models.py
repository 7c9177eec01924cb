"""Imports every module that defines tables, so Alembic sees the whole schema."""

from esign import models as esign_models  # noqa: F401
from gateway import idempotency as idempotency_models  # noqa: F401
from gateway.applications import face_check as face_check_models  # noqa: F401
from gateway.applications import models as application_models  # noqa: F401
from gateway.appointments import models as appointment_models  # noqa: F401
from gateway.backoffice import exchange_log as exchange_log_models  # noqa: F401
from gateway.backoffice import last_known as last_known_models  # noqa: F401
from gateway.backoffice import maintenance as maintenance_models  # noqa: F401
from gateway.backoffice import models as backoffice_models  # noqa: F401
from gateway.backoffice import write_queue as write_queue_models  # noqa: F401
from gateway.chat import models as chat_models  # noqa: F401
from gateway.consult import models as consult_models  # noqa: F401
from gateway.identity import captcha as captcha_models  # noqa: F401
from gateway.identity import models as identity_models  # noqa: F401
from gateway.identity import wechat_ids as wechat_identity_models  # noqa: F401
from gateway.kiosk import models as kiosk_models  # noqa: F401
from gateway.proxies import models as proxy_models  # noqa: F401
from gateway.public_info import models as public_info_models  # noqa: F401
from gateway.staff import models as staff_models  # noqa: F401
from gateway.units import models as unit_models  # noqa: F401
from notify import models as notify_models  # noqa: F401
