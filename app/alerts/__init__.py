"""Heavy-pollution weather response: alerts as data, the emergency reduction list, alert-period checklist items."""
