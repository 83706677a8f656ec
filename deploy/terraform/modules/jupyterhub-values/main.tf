# Renders the Zero to JupyterHub values from deploy/helm/jupyterhub/values.yaml.tftpl.

locals {
  template = "${path.module}/../../../helm/jupyterhub/values.yaml.tftpl"
}
