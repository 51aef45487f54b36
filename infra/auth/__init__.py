"""Authentication (xác thực): passwords, second factors, API tokens, credential files.

Maintained libraries do the cryptography: ``argon2-cffi`` (argon2id, memory-hard) for
passwords and ``pyotp`` for TOTP (RFC 6238). Tokens are 256 random bits from :mod:`secrets`,
stored only as their SHA-256.
"""
