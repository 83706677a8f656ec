"""The Panel dashboard: every page of the workbench, served inside the workbench service."""
