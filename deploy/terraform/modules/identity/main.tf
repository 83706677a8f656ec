# Who each workload is on Google Cloud. Every pod runs as a Kubernetes service account bound to
# one of these Google service accounts through Workload Identity: no key file exists anywhere.
# Each gets only the project roles it needs here; access to one bucket, secret or repository is
# granted where that resource is defined.

locals {
  # Google service account -> (Kubernetes service account, project roles)
  workloads = {
    workbench = {
      ksa   = "workbench"
      roles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]
    }
    hub = {
      ksa   = "hub"
      roles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]
    }
    mlflow = {
      ksa   = "mlflow"
      roles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]
    }
  }
  node_roles = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
  ]
  workload_roles = merge([
    for name, workload in local.workloads : {
      for role in workload.roles : "${name}/${role}" => { name = name, role = role }
    }
  ]...)
}

resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name}-nodes"
  display_name = "GKE nodes of ${var.name}"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(local.node_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_service_account" "workload" {
  for_each = local.workloads

  project      = var.project_id
  account_id   = "${var.name}-${each.key}"
  display_name = "${each.key} of ${var.name} (Workload Identity)"
}

resource "google_project_iam_member" "workload" {
  for_each = local.workload_roles

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.workload[each.value.name].email}"
}

resource "google_service_account_iam_member" "workload_identity" {
  for_each = local.workloads

  service_account_id = google_service_account.workload[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.workload_pool}[${var.namespace}/${each.value.ksa}]"
}
