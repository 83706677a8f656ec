# Secret Manager holds what the workbench must keep secret, and pods read it through the GKE
# Secret Manager add-on (mounted files; Workload Identity, no key file):
#
# - master-keys: WORKBENCH_SECRET_KEYS, comma-separated Fernet keys, newest first. Terraform
#   creates the secret but never a version: an operator adds them (deploy/README.md, "First
#   deploy" and "Key rotation"), so no key is ever in a .tf file, a plan or the state.
# - response-cache-url: the Memorystore URL with its AUTH string, written from the redis
#   module's output (the string lives in the Terraform state, which is a private, versioned
#   bucket; see deploy/README.md).
# - oauth-client-secret: the hub's OAuth client secret when an OAuthenticator is used; added
#   by an operator like the master keys.
#
# There is no database password: every workload logs in to Cloud SQL as its service account.

locals {
  operator_managed = {
    master-keys         = var.workbench_service_account
    oauth-client-secret = var.hub_service_account
  }
}

resource "google_secret_manager_secret" "operator_managed" {
  for_each = local.operator_managed

  project   = var.project_id
  secret_id = "${var.name}-${each.key}"

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }

  labels = {
    app = "workbench"
  }
}

resource "google_secret_manager_secret_iam_member" "operator_managed" {
  for_each = local.operator_managed

  project   = var.project_id
  secret_id = google_secret_manager_secret.operator_managed[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${each.value}"
}

resource "google_secret_manager_secret" "response_cache_url" {
  project   = var.project_id
  secret_id = "${var.name}-response-cache-url"

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }

  labels = {
    app = "workbench"
  }
}

resource "google_secret_manager_secret_version" "response_cache_url" {
  secret      = google_secret_manager_secret.response_cache_url.id
  secret_data = var.response_cache_url
}

resource "google_secret_manager_secret_iam_member" "response_cache_url" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.response_cache_url.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.workbench_service_account}"
}
