variable "project_id" {
  type        = string
  description = "GCP project that holds the instance."
}

variable "region" {
  type        = string
  description = "Region of the instance."
}

variable "name" {
  type        = string
  description = "Name of the Memorystore instance."
}

variable "network_id" {
  type        = string
  description = "VPC the instance is reachable from (private services access)."
}

variable "private_services_connection" {
  type        = string
  description = "Private services access peering the instance depends on."
}

variable "memory_size_gb" {
  type        = number
  description = "Memory of the instance; the response cache evicts the least recently used answers when full."
}

variable "tier" {
  type        = string
  description = "BASIC (one node) or STANDARD_HA (a replica with automatic failover)."

  validation {
    condition     = contains(["BASIC", "STANDARD_HA"], var.tier)
    error_message = "tier must be BASIC or STANDARD_HA."
  }
}
