"""Firm-side customer-base analytics: "buy till you die" models fitted to transaction logs."""
