"""The hub side of the embedded default: JupyterHub's configuration and `workbench up`."""
