import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** A Kubernetes object as a plain JSON value. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, any>;

/**
 * The kustomize features deploy/k8s uses, rendered without the kustomize binary (none can be
 * fetched here): `resources` (files and directories with a kustomization.yaml), `namespace`,
 * `labels` (pairs added to metadata.labels), `images` (newName/newTag), `replicas`, and `patches`
 * as JSON 6902 operations (add, replace, remove) on a target kind + name. Any other field of a
 * kustomization is refused, so the test can never pass over a feature it does not render.
 */
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'replicas', 'patches']);
/** Kinds that live outside namespaces (none of deploy/k8s's, but a namespace must not be set on them). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'APIService']);

export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  const kustomization = parseYaml(readFileSync(file, 'utf8')) as Record<string, any>;
  const unknown = Object.keys(kustomization).filter((key) => !SUPPORTED.has(key));
  if (unknown.length > 0) throw new Error(`${file}: fields the test renderer does not implement: ${unknown.join(', ')}`);
  if (kustomization.kind !== 'Kustomization') throw new Error(`${file}: kind must be Kustomization`);

  let objects: K8sObject[] = [];
  for (const entry of (kustomization.resources ?? []) as string[]) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${file}: resource ${entry} does not exist`);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path)));
  }
  for (const { pairs } of (kustomization.labels ?? []) as Array<{ pairs: Record<string, string>; includeSelectors?: boolean }>) {
    for (const object of objects) object.metadata.labels = { ...(object.metadata.labels ?? {}), ...pairs };
  }
  for (const image of (kustomization.images ?? []) as Array<{ name: string; newName?: string; newTag?: string }>) {
    for (const container of objects.flatMap(containersOf)) {
      const [name, tag] = splitImage(container.image);
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
    }
  }
  for (const { name, count } of (kustomization.replicas ?? []) as Array<{ name: string; count: number }>) {
    const targets = objects.filter((o) => o.metadata.name === name && ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind));
    if (targets.length === 0) throw new Error(`${file}: replicas names ${name}, which no workload has`);
    for (const target of targets) target.spec.replicas = count;
  }
  for (const { target, patch } of (kustomization.patches ?? []) as Array<{ target: { kind: string; name: string }; patch: string }>) {
    const targets = objects.filter((o) => o.kind === target.kind && o.metadata.name === target.name);
    if (targets.length === 0) throw new Error(`${file}: patch target ${target.kind}/${target.name} matches nothing`);
    const operations = parseYaml(patch) as JsonPatchOperation[];
    objects = objects.map((o) => (targets.includes(o) ? applyJsonPatch(o, operations) : o));
  }
  if (kustomization.namespace) {
    for (const object of objects) if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = kustomization.namespace;
  }
  return objects;
}

function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
    const object = document.toJS() as K8sObject;
    if (!object?.apiVersion || !object.kind || !object.metadata?.name) throw new Error(`${path}: a document without apiVersion, kind or metadata.name`);
    return object;
  });
}

export function containersOf(object: K8sObject): Array<Record<string, any>> {
  const pod = object.spec?.template?.spec;
  return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
}

function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** RFC 6902 add / replace / remove on a copy; a path that does not exist (for replace, remove) throws. */
export function applyJsonPatch<T>(document: T, operations: JsonPatchOperation[]): T {
  const copy = structuredClone(document) as any;
  for (const operation of operations) {
    if (!['add', 'replace', 'remove'].includes(operation.op)) throw new Error(`JSON patch op "${operation.op}" is not implemented`);
    const tokens = operation.path.split('/').slice(1).map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (tokens.length === 0) throw new Error('JSON patch on the whole document is not implemented');
    const last = tokens.pop() as string;
    let parent = copy;
    for (const token of tokens) {
      if (parent === null || typeof parent !== 'object' || !(token in parent)) throw new Error(`JSON patch path ${operation.path} does not exist`);
      parent = parent[token];
    }
    const exists = Array.isArray(parent) ? last === '-' || Number(last) < parent.length : last in parent;
    if (operation.op !== 'add' && (!exists || last === '-')) throw new Error(`JSON patch path ${operation.path} does not exist`);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (operation.op === 'add') parent.splice(index, 0, operation.value);
      else if (operation.op === 'replace') parent[index] = operation.value;
      else parent.splice(index, 1);
    } else if (operation.op === 'remove') {
      delete parent[last];
    } else {
      parent[last] = operation.value;
    }
  }
  return copy;
}

export const K8S_ROOT = resolve(__dirname, '..', '..', 'deploy', 'k8s');
export const overlayDir = (name: string) => join(K8S_ROOT, 'overlays', name);
export { dirname };
