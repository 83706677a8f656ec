output "values_yaml" {
  description = "The chart's values, as YAML (helm_release values)."
  value = templatefile(local.template, {
    domain                     = var.domain
    hub_image                  = var.hub_image
    singleuser_image           = var.singleuser_image
    image_tag                  = var.image_tag
    admin_users                = var.admin_users
    authenticator              = var.authenticator
    open_signup                = var.open_signup
    minimum_password_length    = var.minimum_password_length
    google_oauth_client_id     = var.google_oauth_client_id
    google_hosted_domains      = var.google_hosted_domains
    oauth_provider_class       = var.oauth_provider_class
    hub_service_account        = var.hub_service_account
    hub_database_url           = var.hub_database_url
    cloud_sql_instance         = var.cloud_sql_instance
    cloud_sql_proxy_image      = var.cloud_sql_proxy_image
    workbench_url              = var.workbench_url
    dask_gateway_url           = var.dask_gateway_url
    dask_gateway_proxy_address = var.dask_gateway_proxy_address
    static_ip_name             = var.static_ip_name
    managed_certificate_name   = var.managed_certificate_name
    frontend_config_name       = var.frontend_config_name
    backend_config_name        = var.backend_config_name
    hub_resources              = var.hub_resources
    user_resources             = var.user_resources
    user_placeholders          = var.user_placeholders
    cull_timeout_seconds       = var.cull_timeout_seconds
  })
}
