# The MLflow tracking server: runs and traces in Cloud SQL (database "mlflow", IAM login through
# the Auth Proxy sidecar), artifacts in the private GCS bucket, served to clients through the
# server (--serve-artifacts) so only this service account touches the bucket. Only the
# workbench reaches it: users see the MLflow UI through the workbench, behind the hub login,
# filtered to the experiments they may read (SECURITY.md S10).

locals {
  port = 5000
  labels = {
    "app.kubernetes.io/part-of"    = "workbench"
    "app.kubernetes.io/managed-by" = "terraform"
    "app.kubernetes.io/name"       = "mlflow"
    "app.kubernetes.io/component"  = "tracking-server"
  }
  selector = {
    "app.kubernetes.io/name"      = "mlflow"
    "app.kubernetes.io/component" = "tracking-server"
  }
  host         = "mlflow.${var.namespace}.svc.cluster.local"
  database_url = "postgresql+psycopg://${urlencode(var.database_user)}@127.0.0.1:5432/${var.database_name}"
}

resource "kubernetes_service_account_v1" "mlflow" {
  metadata {
    name      = var.kubernetes_service_account
    namespace = var.namespace
    labels    = local.labels
    annotations = {
      "iam.gke.io/gcp-service-account" = var.service_account
    }
  }
  automount_service_account_token = false
}

resource "kubernetes_deployment_v1" "mlflow" {
  metadata {
    name      = "mlflow"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    replicas = var.replicas

    selector {
      match_labels = local.selector
    }

    template {
      metadata {
        labels = local.labels
      }

      spec {
        service_account_name            = kubernetes_service_account_v1.mlflow.metadata[0].name
        automount_service_account_token = false

        node_selector = {
          "hub.jupyter.org/node-purpose" = "core"
        }

        security_context {
          run_as_non_root = true
          run_as_user     = 1000
          run_as_group    = 1000
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

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
          name              = "mlflow"
          image             = "${var.image}:${var.image_tag}"
          image_pull_policy = "Always"
          args = [
            "mlflow", "server",
            "--backend-store-uri", local.database_url,
            "--artifacts-destination", var.artifact_root,
            "--serve-artifacts",
            "--host", "0.0.0.0",
            "--port", tostring(local.port),
            "--workers", "2",
            "--allowed-hosts", "${local.host},${local.host}:${local.port},mlflow:${local.port}",
          ]

          port {
            name           = "http"
            container_port = local.port
          }

          env {
            name  = "MLFLOW_DISABLE_TELEMETRY"
            value = "true"
          }
          env {
            name  = "HOME"
            value = "/tmp"
          }

          readiness_probe {
            http_get {
              path = "/health"
              port = local.port
              # The server answers only the Host names it is told (--allowed-hosts).
              http_header {
                name  = "Host"
                value = local.host
              }
            }
            period_seconds = 10
          }

          liveness_probe {
            http_get {
              path = "/health"
              port = local.port
              # The server answers only the Host names it is told (--allowed-hosts).
              http_header {
                name  = "Host"
                value = local.host
              }
            }
            initial_delay_seconds = 60
            period_seconds        = 20
          }

          resources {
            requests = {
              cpu    = var.resources.cpu
              memory = var.resources.memory
            }
            limits = {
              cpu    = "2"
              memory = var.resources.memory_limit
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
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "tmp"
          empty_dir {
            size_limit = "2Gi"
          }
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "mlflow" {
  metadata {
    name      = "mlflow"
    namespace = var.namespace
    labels    = local.labels
  }
  spec {
    type     = "ClusterIP"
    selector = local.selector
    port {
      name        = "http"
      port        = local.port
      target_port = local.port
    }
  }
}

resource "kubernetes_network_policy_v1" "mlflow" {
  metadata {
    name      = "mlflow"
    namespace = var.namespace
    labels    = local.labels
  }
  spec {
    pod_selector {
      match_labels = local.selector
    }
    policy_types = ["Ingress"]

    ingress {
      from {
        pod_selector {
          match_labels = {
            "app.kubernetes.io/name"      = "workbench"
            "app.kubernetes.io/component" = "service"
          }
        }
      }
      ports {
        port     = local.port
        protocol = "TCP"
      }
    }
  }
}
