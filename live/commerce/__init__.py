"""Commerce: stock counters in Redis, one-tap orders, payments, persistence to SQL and reconciliation."""
