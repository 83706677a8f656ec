# Dask Gateway: hub-authenticated Dask clusters on Kubernetes. Users (from notebooks) and the
# workbench service (with its hub service token) ask it for a cluster; schedulers and workers
# are pods on the autoscaled "dask" node pool, running the workbench image so they execute the
# same agents code. Its proxy stays inside the cluster: the hub's proxy exposes the API at
# /services/dask-gateway/, and scheduler traffic stays on the cluster network.

locals {
  dask_pods = {
    tolerations = [{
      key      = "workbench.dev/dedicated"
      operator = "Equal"
      value    = "dask"
      effect   = "NoSchedule"
    }]
    nodeSelector = { "workbench.dev/node-purpose" = "dask" }
    securityContext = {
      runAsNonRoot = true
      runAsUser    = 1000
      runAsGroup   = 1000
    }
  }
  core_pods = {
    nodeSelector = { "hub.jupyter.org/node-purpose" = "core" }
  }

  values = {
    gateway = {
      prefix       = "/services/dask-gateway"
      nodeSelector = local.core_pods.nodeSelector
      auth = {
        type = "jupyterhub"
        jupyterhub = {
          apiUrl = "http://hub.${var.namespace}.svc.cluster.local:8081/hub/api"
          # The hub chart generates this service's token; it is never copied anywhere.
          apiTokenFromSecretName = "hub"
          apiTokenFromSecretKey  = "hub.services.dask-gateway.apiToken"
        }
      }
      backend = {
        image = {
          name = var.image
          tag  = var.image_tag
        }
        scheduler = {
          cores          = { request = var.scheduler.cores, limit = var.scheduler.cores }
          memory         = { request = var.scheduler.memory, limit = var.scheduler.memory }
          extraPodConfig = local.dask_pods
        }
        worker = {
          cores          = { request = var.worker.cores, limit = var.worker.cores }
          memory         = { request = var.worker.memory, limit = var.worker.memory }
          extraPodConfig = local.dask_pods
        }
      }
      extraConfig = {
        limits = <<-EOT
          c.ClusterConfig.cluster_max_workers = ${var.max_workers_per_cluster}
          c.ClusterConfig.idle_timeout = ${var.idle_timeout_seconds}
        EOT
        # The workbench service's engine cluster (the hub service `workbench`, named
        # "service:workbench" here): a model call is not idempotent, so a step whose worker dies
        # is reported instead of re-run and billed twice; its steps mostly wait on providers, so
        # each worker runs many at once.
        workbench = <<-EOT
          from dask_gateway_server.options import Options

          def workbench_engine_cluster(options, user):
              if user.name != "service:workbench":
                  return {}
              return {
                  "environment": {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"},
                  "worker_threads": ${var.workbench_worker_threads},
              }

          c.Backend.cluster_options = Options(handler=workbench_engine_cluster)
        EOT
      }
    }
    controller = {
      nodeSelector = local.core_pods.nodeSelector
    }
    traefik = {
      nodeSelector = local.core_pods.nodeSelector
      service = {
        type = "ClusterIP"
      }
    }
  }
}

resource "helm_release" "dask_gateway" {
  name       = "dask-gateway"
  namespace  = var.namespace
  repository = "https://helm.dask.org"
  chart      = "dask-gateway"
  version    = var.chart_version

  values = [yamlencode(local.values)]

  atomic          = true
  cleanup_on_fail = true
  wait            = true
  timeout         = 600
}
