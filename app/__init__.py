"""Lantian (蓝天巡查): field-inspection backend for air-pollution enforcement.

The application is built by ``app.factory.create_app``. This package module imports nothing, so that
importing any one module of the application (a pure rule module in a unit test, say) does not import
every feature.
"""
