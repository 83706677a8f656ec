# A private, regional, VPC-native GKE Standard cluster with Workload Identity (pods act as Google
# service accounts; no key files), Dataplane V2 (network policies enforced), shielded nodes,
# Google Managed Prometheus, and autoscaled node pools per purpose.

locals {
  # The taints Zero to JupyterHub tolerates for its core and user pods; Dask Gateway's pods get
  # a toleration for theirs from deploy/helm/dask-gateway.
  taints = {
    core = []
    user = [{ key = "hub.jupyter.org/dedicated", value = "user", effect = "NO_SCHEDULE" }]
    dask = [{ key = "workbench.dev/dedicated", value = "dask", effect = "NO_SCHEDULE" }]
  }
  node_labels = {
    core = { "hub.jupyter.org/node-purpose" = "core" }
    user = { "hub.jupyter.org/node-purpose" = "user" }
    dask = { "workbench.dev/node-purpose" = "dask" }
  }
}

resource "google_container_cluster" "cluster" {
  project  = var.project_id
  name     = var.name
  location = var.region

  network         = var.network_id
  subnetwork      = var.subnet_id
  networking_mode = "VPC_NATIVE"

  # Node pools are managed below; the default one is removed once the cluster exists.
  remove_default_node_pool = true
  initial_node_count       = 1

  deletion_protection         = var.deletion_protection
  datapath_provider           = "ADVANCED_DATAPATH"
  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  enable_legacy_abac          = false

  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_cidr

    master_global_access_config {
      enabled = false
    }
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  release_channel {
    channel = var.release_channel
  }

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  dynamic "authenticator_groups_config" {
    for_each = var.security_group == "" ? [] : [var.security_group]
    content {
      security_group = authenticator_groups_config.value
    }
  }

  addons_config {
    http_load_balancing {
      disabled = false
    }
    horizontal_pod_autoscaling {
      disabled = false
    }
    gce_persistent_disk_csi_driver_config {
      enabled = true
    }
  }

  # Pods read WORKBENCH_SECRET_KEYS and the response cache URL from Secret Manager as files.
  secret_manager_config {
    enabled = true
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "SCHEDULER", "CONTROLLER_MANAGER"]
    managed_prometheus {
      enabled = true
    }
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }

  maintenance_policy {
    recurring_window {
      start_time = "2024-01-06T02:00:00Z"
      end_time   = "2024-01-06T06:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
    }
  }

  resource_labels = {
    app         = "workbench"
    environment = var.name
  }

  node_config {
    service_account = var.node_service_account
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }
}

resource "google_container_node_pool" "pool" {
  for_each = var.node_pools

  project  = var.project_id
  name     = each.key
  location = var.region
  cluster  = google_container_cluster.cluster.name

  initial_node_count = each.value.min_nodes

  autoscaling {
    min_node_count  = each.value.min_nodes
    max_node_count  = each.value.max_nodes
    location_policy = each.value.purpose == "core" ? "BALANCED" : "ANY"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = each.value.machine_type
    disk_size_gb    = each.value.disk_size_gb
    disk_type       = "pd-balanced"
    image_type      = "COS_CONTAINERD"
    spot            = each.value.spot
    service_account = var.node_service_account
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = local.node_labels[each.value.purpose]

    dynamic "taint" {
      for_each = local.taints[each.value.purpose]
      content {
        key    = taint.value.key
        value  = taint.value.value
        effect = taint.value.effect
      }
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    # The autoscaler owns the node count after creation.
    ignore_changes = [initial_node_count]
  }
}
