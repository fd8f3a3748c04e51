"""System checks of the deployment (``manage.py check --deploy``), registered by tenants' AppConfig.

A production run refuses to encrypt without FIELD_ENCRYPTION_KEY, but only at the first
encryption (an OAuth connect, a stored secret): the deploy check says so before the first user does.
"""
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def field_encryption_key(app_configs=None, **kwargs) -> list[Error]:
    if settings.EMBEDDED or settings.DEBUG:
        return []  # the embedded run derives a key from SECRET_KEY (messaging/crypto.py)
    keys = [k.strip() for k in (settings.FIELD_ENCRYPTION_KEY or "").split(",") if k.strip()]
    hint = ("python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' "
            "로 만든 키를 FIELD_ENCRYPTION_KEY에 넣으세요 (여러 개는 쉼표로, 첫 키가 암호화합니다).")
    if not keys:
        return [Error("FIELD_ENCRYPTION_KEY가 비어 있습니다: 운영 환경은 토큰과 개인정보를 암호화할 키가 필요합니다.",
                      hint=hint, id="untitle.E001")]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            return [Error("FIELD_ENCRYPTION_KEY에 Fernet 키가 아닌 값이 있습니다.", hint=hint, id="untitle.E001")]
    return []
