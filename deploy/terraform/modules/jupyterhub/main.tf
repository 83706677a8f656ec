# JupyterHub through the Zero to JupyterHub chart (pinned version, values rendered from
# deploy/helm/jupyterhub/values.yaml.tftpl), and the workbench: a hub service with its own
# Deployment, reached only through the hub's proxy at /services/workbench/.
#
# The workbench runs one replica with the Recreate strategy: at start-up it fails the
# executions a previous process left RUNNING (SECURITY.md S11), which would also fail those of
# a second live replica.

locals {
  labels = {
    "app.kubernetes.io/part-of"    = "workbench"
    "app.kubernetes.io/managed-by" = "terraform"
  }
  workbench_labels = merge(local.labels, {
    "app.kubernetes.io/name"      = "workbench"
    "app.kubernetes.io/component" = "service"
    # The chart's network policy lets pods with this label reach the hub's API.
    "hub.jupyter.org/network-access-hub" = "true"
  })
  workbench_port   = 8888
  workbench_prefix = "/services/workbench/"
  workbench_url    = "http://workbench.${var.namespace}.svc.cluster.local:${local.workbench_port}"
  secrets_dir      = "/etc/workbench/secrets"
  redis_ca_dir     = "/etc/workbench/redis"
  data_dir         = "/var/lib/workbench"
  ingress_names = {
    static_ip           = "${var.name}-hub"
    managed_certificate = "hub"
    frontend_config     = "hub"
    backend_config      = "hub-proxy"
  }
  # Cloud SQL IAM users are email-like; the @ is escaped in a URL's user part.
  database_url = {
    for workload in ["workbench", "hub"] :
    workload => "postgresql+psycopg://${urlencode(var.database_users[workload])}@127.0.0.1:5432/${workload == "hub" ? "jupyterhub" : "workbench"}"
  }
  metrics_scraper_name = "workbench-metrics-scraper"
}

resource "kubernetes_namespace_v1" "workbench" {
  metadata {
    name   = var.namespace
    labels = local.labels
  }
}

resource "google_compute_global_address" "hub" {
  project = var.project_id
  name    = local.ingress_names.static_ip
}

# The hub's API token for the metrics scraper: generated here so it can also live in a secret
# of its own, the only one Google Managed Prometheus may read.
resource "random_password" "metrics_scraper_token" {
  length  = 48
  special = false
}

module "values" {
  source = "../jupyterhub-values"

  domain                     = var.domain
  hub_image                  = "${var.image_repository}/workbench"
  singleuser_image           = "${var.image_repository}/singleuser"
  image_tag                  = var.image_tag
  admin_users                = var.admin_users
  authenticator              = var.authenticator
  google_oauth_client_id     = var.google_oauth_client_id
  google_hosted_domains      = var.google_hosted_domains
  oauth_provider_class       = "hub-oauth-client"
  hub_service_account        = var.service_accounts["hub"]
  hub_database_url           = local.database_url["hub"]
  cloud_sql_instance         = var.cloud_sql_instance
  cloud_sql_proxy_image      = var.cloud_sql_proxy_image
  workbench_url              = local.workbench_url
  dask_gateway_url           = var.dask_gateway_address
  dask_gateway_proxy_address = var.dask_gateway_proxy_address
  static_ip_name             = google_compute_global_address.hub.name
  managed_certificate_name   = local.ingress_names.managed_certificate
  frontend_config_name       = local.ingress_names.frontend_config
  backend_config_name        = local.ingress_names.backend_config
  hub_resources              = var.hub_resources
  user_resources             = var.user_resources
  user_placeholders          = var.user_placeholders
  cull_timeout_seconds       = var.cull_timeout_seconds
}

resource "helm_release" "jupyterhub" {
  name       = "jupyterhub"
  namespace  = kubernetes_namespace_v1.workbench.metadata[0].name
  repository = "https://hub.jupyter.org/helm-chart/"
  chart      = "jupyterhub"
  version    = var.chart_version

  values = [module.values.values_yaml]
  # Not in the values YAML, so it is never shown in a plan.
  set_sensitive = [
    {
      name  = "hub.services.metrics-scraper.apiToken"
      value = random_password.metrics_scraper_token.result
    },
  ]

  # A failed upgrade rolls the release back by itself; the deploy workflow then rolls the
  # image tag back too (deploy/README.md, "Rollback").
  atomic          = true
  cleanup_on_fail = true
  wait            = true
  timeout         = 900

  depends_on = [
    kubernetes_manifest.hub_backend_config,
    kubernetes_manifest.hub_frontend_config,
    kubernetes_manifest.hub_certificate,
    kubernetes_manifest.oauth_client_secret,
  ]
}

# ---- load balancer: managed certificate, HTTPS only, WebSocket-friendly timeouts ----------

resource "kubernetes_manifest" "hub_certificate" {
  manifest = {
    apiVersion = "networking.gke.io/v1"
    kind       = "ManagedCertificate"
    metadata = {
      name      = local.ingress_names.managed_certificate
      namespace = kubernetes_namespace_v1.workbench.metadata[0].name
      labels    = local.labels
    }
    spec = {
      domains = [var.domain]
    }
  }
}

resource "google_compute_ssl_policy" "hub" {
  project         = var.project_id
  name            = "${var.name}-hub"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "kubernetes_manifest" "hub_frontend_config" {
  manifest = {
    apiVersion = "networking.gke.io/v1beta1"
    kind       = "FrontendConfig"
    metadata = {
      name      = local.ingress_names.frontend_config
      namespace = kubernetes_namespace_v1.workbench.metadata[0].name
      labels    = local.labels
    }
    spec = {
      sslPolicy = google_compute_ssl_policy.hub.name
      redirectToHttps = {
        enabled          = true
        responseCodeName = "MOVED_PERMANENTLY_DEFAULT"
      }
    }
  }
}

resource "kubernetes_manifest" "hub_backend_config" {
  manifest = {
    apiVersion = "cloud.google.com/v1"
    kind       = "BackendConfig"
    metadata = {
      name      = local.ingress_names.backend_config
      namespace = kubernetes_namespace_v1.workbench.metadata[0].name
      labels    = local.labels
    }
    spec = {
      # Live execution channels, Bokeh sessions and kernels are WebSockets: an hour, not 30 s.
      timeoutSec = 3600
      connectionDraining = {
        drainingTimeoutSec = 60
      }
      # The proxy answers / with a redirect; /hub/health is a 200 once the hub is up.
      healthCheck = {
        type               = "HTTP"
        requestPath        = "/hub/health"
        port               = 8000
        checkIntervalSec   = 10
        timeoutSec         = 5
        healthyThreshold   = 1
        unhealthyThreshold = 3
      }
      logging = {
        enable     = true
        sampleRate = 1.0
      }
    }
  }
}

# ---- secrets, mounted as files by the GKE Secret Manager add-on ---------------------------

resource "kubernetes_manifest" "workbench_secrets" {
  manifest = {
    apiVersion = "secrets-store.csi.x-k8s.io/v1"
    kind       = "SecretProviderClass"
    metadata = {
      name      = "workbench-secrets"
      namespace = kubernetes_namespace_v1.workbench.metadata[0].name
      labels    = local.labels
    }
    spec = {
      provider = "gke"
      parameters = {
        secrets = yamlencode([
          { resourceName = "${var.secrets.master_keys}/versions/latest", path = "secret-keys" },
          { resourceName = "${var.secrets.response_cache_url}/versions/latest", path = "response-cache-url" },
        ])
      }
    }
  }
}

resource "kubernetes_manifest" "oauth_client_secret" {
  manifest = {
    apiVersion = "secrets-store.csi.x-k8s.io/v1"
    kind       = "SecretProviderClass"
    metadata = {
      name      = "hub-oauth-client"
      namespace = kubernetes_namespace_v1.workbench.metadata[0].name
      labels    = local.labels
    }
    spec = {
      provider = "gke"
      parameters = {
        secrets = yamlencode([
          { resourceName = "${var.secrets.oauth_client_secret}/versions/latest", path = "client-secret" },
        ])
      }
    }
  }
}

resource "kubernetes_config_map_v1" "redis_ca" {
  metadata {
    name      = "workbench-redis-ca"
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.labels
  }
  data = {
    "ca.pem" = var.redis_ca_certificate
  }
}

# ---- the workbench service ----------------------------------------------------------------

resource "kubernetes_service_account_v1" "workbench" {
  metadata {
    name      = var.kubernetes_service_accounts["workbench"]
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.workbench_labels
    annotations = {
      "iam.gke.io/gcp-service-account" = var.service_accounts["workbench"]
    }
  }
  automount_service_account_token = false
}

resource "kubernetes_deployment_v1" "workbench" {
  metadata {
    name      = "workbench"
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.workbench_labels
  }

  spec {
    replicas               = 1
    revision_history_limit = 10

    strategy {
      type = "Recreate"
    }

    selector {
      match_labels = {
        "app.kubernetes.io/name"      = "workbench"
        "app.kubernetes.io/component" = "service"
      }
    }

    template {
      metadata {
        labels = local.workbench_labels
      }

      spec {
        service_account_name             = kubernetes_service_account_v1.workbench.metadata[0].name
        automount_service_account_token  = false
        termination_grace_period_seconds = 60

        node_selector = {
          "hub.jupyter.org/node-purpose" = "core"
        }

        security_context {
          run_as_non_root = true
          run_as_user     = 1000
          run_as_group    = 1000
          fs_group        = 1000
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        # Native sidecar: up before the workbench connects, stopped after it.
        init_container {
          name           = "cloud-sql-proxy"
          image          = var.cloud_sql_proxy_image
          restart_policy = "Always"
          args = [
            "--private-ip",
            "--auto-iam-authn",
            "--structured-logs",
            "--health-check",
            "--http-address=0.0.0.0",
            "--port=5432",
            var.cloud_sql_instance,
          ]

          startup_probe {
            http_get {
              path = "/startup"
              port = 9090
            }
            period_seconds    = 1
            failure_threshold = 60
          }

          security_context {
            run_as_non_root            = true
            run_as_user                = 65532
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }

          resources {
            requests = {
              cpu    = "50m"
              memory = "64Mi"
            }
            limits = {
              cpu    = "500m"
              memory = "256Mi"
            }
          }
        }

        container {
          name              = "workbench"
          image             = "${var.image_repository}/workbench:${var.image_tag}"
          image_pull_policy = "Always"
          args              = ["workbench", "serve"]

          port {
            name           = "http"
            container_port = local.workbench_port
          }

          # What the hub would give a service it starts itself (jupyterhub Service.start).
          env {
            name  = "JUPYTERHUB_SERVICE_NAME"
            value = "workbench"
          }
          env {
            name  = "JUPYTERHUB_API_URL"
            value = "http://hub.${var.namespace}.svc.cluster.local:8081/hub/api"
          }
          env {
            name  = "JUPYTERHUB_BASE_URL"
            value = "/"
          }
          env {
            name  = "JUPYTERHUB_SERVICE_PREFIX"
            value = local.workbench_prefix
          }
          env {
            name  = "JUPYTERHUB_SERVICE_URL"
            value = "http://0.0.0.0:${local.workbench_port}"
          }
          env {
            name  = "JUPYTERHUB_CLIENT_ID"
            value = "service-workbench"
          }
          env {
            name  = "JUPYTERHUB_OAUTH_CALLBACK_URL"
            value = "${local.workbench_prefix}oauth_callback"
          }
          env {
            name = "JUPYTERHUB_API_TOKEN"
            value_from {
              secret_key_ref {
                # Generated by the chart for each service listed under hub.services.
                name = "hub"
                key  = "hub.services.workbench.apiToken"
              }
            }
          }
          env {
            name  = "WORKBENCH_DATABASE_URL"
            value = local.database_url["workbench"]
          }
          env {
            name  = "WORKBENCH_SECRET_KEYS_FILE"
            value = "${local.secrets_dir}/secret-keys"
          }
          env {
            name  = "WORKBENCH_RESPONSE_CACHE_FILE"
            value = "${local.secrets_dir}/response-cache-url"
          }
          env {
            name  = "WORKBENCH_MLFLOW_TRACKING_URI"
            value = var.mlflow_tracking_uri
          }
          env {
            # The gateway serves its API under the hub's service prefix (the dask-gateway
            # module's gateway.prefix); the service authenticates with its own hub token.
            name  = "WORKBENCH_DASK_GATEWAY"
            value = "${var.dask_gateway_address}/services/dask-gateway"
          }
          env {
            name  = "WORKBENCH_DASK_GATEWAY_PROXY"
            value = var.dask_gateway_proxy_address
          }
          env {
            name  = "WORKBENCH_ADMIN_USERS"
            value = join(",", var.admin_users)
          }
          env {
            name  = "WORKBENCH_METRICS_SERVICES"
            value = "metrics-scraper"
          }
          env {
            name  = "WORKBENCH_PUBLIC_URL"
            value = "https://${var.domain}"
          }
          env {
            name  = "WORKBENCH_LOG_FORMAT"
            value = "json"
          }
          env {
            name  = "WORKBENCH_DATA_DIR"
            value = local.data_dir
          }
          env {
            name  = "HOME"
            value = local.data_dir
          }
          env {
            name  = "MLFLOW_DISABLE_TELEMETRY"
            value = "true"
          }

          readiness_probe {
            tcp_socket {
              port = local.workbench_port
            }
            period_seconds    = 5
            failure_threshold = 3
          }

          liveness_probe {
            tcp_socket {
              port = local.workbench_port
            }
            initial_delay_seconds = 120
            period_seconds        = 20
            failure_threshold     = 3
          }

          resources {
            requests = {
              cpu    = var.workbench_resources.cpu
              memory = var.workbench_resources.memory
            }
            limits = {
              cpu    = "4"
              memory = var.workbench_resources.memory_limit
            }
          }

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }

          volume_mount {
            name       = "secrets"
            mount_path = local.secrets_dir
            read_only  = true
          }
          volume_mount {
            name       = "redis-ca"
            mount_path = local.redis_ca_dir
            read_only  = true
          }
          volume_mount {
            name       = "data"
            mount_path = local.data_dir
          }
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "secrets"
          csi {
            driver    = "secrets-store-gke.csi.k8s.io"
            read_only = true
            volume_attributes = {
              secretProviderClass = kubernetes_manifest.workbench_secrets.manifest.metadata.name
            }
          }
        }
        volume {
          name = "redis-ca"
          config_map {
            name = kubernetes_config_map_v1.redis_ca.metadata[0].name
          }
        }
        volume {
          name = "data"
          empty_dir {
            size_limit = "1Gi"
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "1Gi"
          }
        }
      }
    }
  }

  # The hub creates the service's API token; the workbench cannot authenticate users before.
  depends_on = [helm_release.jupyterhub]
}

resource "kubernetes_service_v1" "workbench" {
  metadata {
    name      = "workbench"
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.workbench_labels
  }
  spec {
    type = "ClusterIP"
    selector = {
      "app.kubernetes.io/name"      = "workbench"
      "app.kubernetes.io/component" = "service"
    }
    port {
      name        = "http"
      port        = local.workbench_port
      target_port = local.workbench_port
    }
  }
}

# Only the hub's proxy (users' requests) and Google Managed Prometheus (metrics) reach the
# workbench; notebooks go through the proxy like browsers do.
resource "kubernetes_network_policy_v1" "workbench" {
  metadata {
    name      = "workbench"
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.labels
  }
  spec {
    pod_selector {
      match_labels = {
        "app.kubernetes.io/name"      = "workbench"
        "app.kubernetes.io/component" = "service"
      }
    }
    policy_types = ["Ingress"]

    ingress {
      from {
        pod_selector {
          match_labels = {
            app       = "jupyterhub"
            component = "proxy"
          }
        }
      }
      from {
        namespace_selector {
          match_labels = {
            "kubernetes.io/metadata.name" = "gmp-system"
          }
        }
      }
      ports {
        port     = local.workbench_port
        protocol = "TCP"
      }
    }
  }
}

# ---- metrics: Google Managed Prometheus scrapes /services/workbench/api/metrics ----------

resource "kubernetes_secret_v1" "metrics_scraper" {
  metadata {
    name      = local.metrics_scraper_name
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.labels
  }
  data = {
    token = random_password.metrics_scraper_token.result
  }
}

resource "kubernetes_role_v1" "metrics_scraper" {
  metadata {
    name      = "gmp-read-metrics-scraper-token"
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.labels
  }
  rule {
    api_groups     = [""]
    resources      = ["secrets"]
    resource_names = [local.metrics_scraper_name]
    verbs          = ["get", "list", "watch"]
  }
}

resource "kubernetes_role_binding_v1" "metrics_scraper" {
  metadata {
    name      = "gmp-read-metrics-scraper-token"
    namespace = kubernetes_namespace_v1.workbench.metadata[0].name
    labels    = local.labels
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.metrics_scraper.metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = "collector"
    namespace = "gmp-system"
  }
}

resource "kubernetes_manifest" "workbench_pod_monitoring" {
  manifest = {
    apiVersion = "monitoring.googleapis.com/v1"
    kind       = "PodMonitoring"
    metadata = {
      name      = "workbench"
      namespace = kubernetes_namespace_v1.workbench.metadata[0].name
      labels    = local.labels
    }
    spec = {
      selector = {
        matchLabels = {
          "app.kubernetes.io/name"      = "workbench"
          "app.kubernetes.io/component" = "service"
        }
      }
      endpoints = [{
        port     = "http"
        path     = "${local.workbench_prefix}metrics"
        interval = "30s"
        authorization = {
          type = "Bearer"
          credentials = {
            name = local.metrics_scraper_name
            key  = "token"
          }
        }
      }]
    }
  }
}
