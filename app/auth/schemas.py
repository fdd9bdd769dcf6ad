"""Request and response shapes for auth and users."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.vocabulary import ROLES


class TokenRequestSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class RefreshRequestSchema(ma.Schema):
    refresh_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=256))


class TokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Access-token lifetime in seconds"})
    token_type = ma.fields.String(required=True)


class JurisdictionRefSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name_zh = ma.fields.String(required=True)
    name_en = ma.fields.String(allow_none=True)
    level = ma.fields.String(required=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(allow_none=True)
    role = ma.fields.String(required=True)
    is_active = ma.fields.Boolean(required=True)
    badge_number = ma.fields.String(allow_none=True)
    jurisdictions = ma.fields.List(ma.fields.Nested(JurisdictionRefSchema), required=True)


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    jurisdictions = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=2, max=12)),
        required=True,
        validate=validate.Length(min=1, max=50),
    )
    display_name = ma.fields.String(validate=validate.Length(max=100))
    badge_number = ma.fields.String(validate=validate.Length(max=32))


class UserUpdateSchema(ma.Schema):
    password = ma.fields.String(load_only=True, validate=validate.Length(min=10, max=256))
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    jurisdictions = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=2, max=12)), validate=validate.Length(min=1, max=50)
    )
    is_active = ma.fields.Boolean()
    display_name = ma.fields.String(validate=validate.Length(max=100))
    badge_number = ma.fields.String(validate=validate.Length(max=32))
