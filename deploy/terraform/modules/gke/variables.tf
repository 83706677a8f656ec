variable "project_id" {
  type        = string
  description = "GCP project that holds the cluster."
}

variable "region" {
  type        = string
  description = "Region of the (regional) cluster."
}

variable "name" {
  type        = string
  description = "Name of the cluster, e.g. \"workbench-prod\"."
}

variable "network_id" {
  type        = string
  description = "VPC the cluster's nodes live in."
}

variable "subnet_id" {
  type        = string
  description = "Subnet of the nodes, with the pods' and services' secondary ranges."
}

variable "pods_range_name" {
  type        = string
  description = "Secondary range name for pods."
}

variable "services_range_name" {
  type        = string
  description = "Secondary range name for services."
}

variable "master_cidr" {
  type        = string
  description = "/28 range of the control plane's private endpoint."
}

variable "master_authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "Networks allowed to reach the control plane (the deploy runners' egress, an operator VPN). Never 0.0.0.0/0."
  default     = []

  validation {
    condition     = alltrue([for n in var.master_authorized_networks : n.cidr_block != "0.0.0.0/0"])
    error_message = "master_authorized_networks must not contain 0.0.0.0/0."
  }
}

variable "release_channel" {
  type        = string
  description = "GKE release channel: RAPID, REGULAR or STABLE."
  default     = "REGULAR"
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the cluster through Terraform."
}

variable "security_group" {
  type        = string
  description = "Google Group (gke-security-groups@<domain>) whose member groups get Kubernetes RBAC; empty to disable."
  default     = ""
}

variable "node_pools" {
  type = map(object({
    machine_type = string
    min_nodes    = number
    max_nodes    = number
    disk_size_gb = number
    spot         = bool
    purpose      = string
  }))
  description = <<-EOT
    Autoscaled node pools by name. `purpose` is "core" (hub, proxy, workbench, MLflow, Dask
    Gateway's controller), "user" (notebook pods) or "dask" (Dask schedulers and workers); user
    and dask pools are tainted so only their pods land there. min_nodes/max_nodes are per zone.
  EOT

  validation {
    condition     = alltrue([for p in values(var.node_pools) : contains(["core", "user", "dask"], p.purpose)])
    error_message = "node_pools[*].purpose must be one of core, user, dask."
  }

  validation {
    condition     = alltrue([for p in values(var.node_pools) : p.min_nodes <= p.max_nodes])
    error_message = "node_pools[*].min_nodes must not exceed max_nodes."
  }
}

variable "node_service_account" {
  type        = string
  description = "Email of the least-privileged service account the nodes run as (logging, monitoring, image pulls)."
}
