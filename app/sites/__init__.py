"""Sites registry: places inspectors check (building sites, VOC enterprises, gas stations …) and their operators (issue 4).

``credit_code`` is pure (no Flask, no SQLAlchemy).
"""
