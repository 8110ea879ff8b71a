/** What the registry needs to know of the node's set-up (composed in app-config.ts). */
export interface RegistryConfig {
  /** Linked to a top-level node: an approved prefix is filed there first (approved → filing → active). */
  filingRequired: boolean;
}

export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
