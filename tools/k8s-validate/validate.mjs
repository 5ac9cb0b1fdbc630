// Validates Kubernetes manifests offline against the Kubernetes API schemas (kubernetes-models):
// every document of every file given, by its apiVersion and kind; a kind it does not know fails.
// Usage: node validate.mjs FILE.yaml...
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const modules = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "batch/v1": "kubernetes-models/batch/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
};

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.error(`${file}: not YAML: ${doc.errors[0].message}`);
      failures++;
      continue;
    }
    const object = doc.toJS();
    if (object === null) continue;
    const where = `${file}: ${object.kind ?? "?"}/${object.metadata?.name ?? "?"}`;
    const path = modules[object.apiVersion];
    try {
      if (!path) throw new Error(`apiVersion ${object.apiVersion} is not one this check knows`);
      const Model = (await import(path))[object.kind];
      if (!Model) throw new Error(`kind ${object.kind} is not in ${object.apiVersion}`);
      new Model(object).validate();
      checked++;
    } catch (error) {
      console.error(`${where}: ${error.message}`);
      failures++;
    }
  }
}
console.log(`${checked} Kubernetes objects valid, ${failures} invalid`);
process.exit(failures > 0 || checked === 0 ? 1 : 0);
