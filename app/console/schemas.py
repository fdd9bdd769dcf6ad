"""Response shapes of the browser-session endpoints."""

from __future__ import annotations

import marshmallow as ma


class BrowserTokenSchema(ma.Schema):
    """A token answer without the refresh token: that one travels only in the HttpOnly cookie."""

    access_token = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Access-token lifetime in seconds"})
    token_type = ma.fields.String(required=True)
