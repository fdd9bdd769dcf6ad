"""Sites registry: places inspectors check (building sites, VOC enterprises, gas stations …) and their operators.

``credit_code`` is pure (no Flask, no SQLAlchemy).
"""
