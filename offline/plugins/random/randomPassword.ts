/**
 * random:index/randomPassword:RandomPassword: a password from node:crypto's generator, with the
 * official provider's character sets and defaults. Every input forces a new password (the official
 * resource has no updatable property), and `result` is always a secret.
 */
import type * as random from "@pulumi/random";
import type * as pulumi from "@pulumi/pulumi";
import { randomInt } from "node:crypto";
import type { CheckFailure, PropertyRules, ResourceHandler } from "../core/resource.js";

export type RandomPasswordInputs = pulumi.Unwrap<random.RandomPasswordArgs>;

export interface RandomPasswordState {
  result: string;
  upper: boolean;
  lower: boolean;
  numeric: boolean;
  number: boolean;
  special: boolean;
  minUpper: number;
  minLower: number;
  minNumeric: number;
  minSpecial: number;
}

/** The official provider's character sets (terraform-provider-random, internal/random/string.go). */
export const CHARACTER_SETS = {
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  lower: "abcdefghijklmnopqrstuvwxyz",
  numeric: "0123456789",
  special: "!@#$%&*()-_=+[]{}<>:?",
} as const;

export const RANDOM_PASSWORD_RULES: PropertyRules<RandomPasswordInputs> = {
  length: "replace",
  special: "replace",
  keepers: "replace",
};

/** The official defaults for the properties the program leaves out. */
export function randomPasswordDefaults(inputs: RandomPasswordInputs): RandomPasswordInputs {
  return {
    ...inputs,
    special: inputs.special ?? true,
  };
}

export function validateRandomPassword(inputs: RandomPasswordInputs): CheckFailure[] {
  const length = inputs.length as unknown;
  if (typeof length === "number" && (!Number.isInteger(length) || length < 1))
    return [{ property: "length", reason: `length must be a whole number of 1 or more (got ${length})` }];
  return [];
}

/**
 * `length` characters drawn uniformly with node:crypto from the enabled sets (upper, lower and
 * numeric always here; special when asked), each set at least `min` times, in a shuffled order.
 */
export function generatePassword(length: number, special: boolean, pick: (n: number) => number = randomInt): string {
  const sets: string[] = [CHARACTER_SETS.upper, CHARACTER_SETS.lower, CHARACTER_SETS.numeric];
  if (special) sets.push(CHARACTER_SETS.special);
  const all = sets.join("");
  const chars = Array.from({ length }, () => all[pick(all.length)]!);
  // Fisher-Yates, so that nothing about a character's place depends on its set.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

export const randomPasswordHandler: ResourceHandler<RandomPasswordInputs, RandomPasswordState, unknown> = {
  token: "random:index/randomPassword:RandomPassword",
  rules: RANDOM_PASSWORD_RULES,
  secretOutputs: ["result", "bcryptHash"],
  withDefaults: randomPasswordDefaults,
  validate: validateRandomPassword,
  async create(inputs) {
    const special = inputs.special ?? true;
    const result = generatePassword(inputs.length, special);
    return {
      // The official provider's id for every password.
      id: "none",
      state: {
        result,
        upper: true,
        lower: true,
        numeric: true,
        number: true,
        special,
        minUpper: 0,
        minLower: 0,
        minNumeric: 0,
        minSpecial: 0,
      },
    };
  },
  async read(id, state, inputs) {
    // Nothing lives outside the state: the password is what the state holds.
    return { id, state, inputs };
  },
  async delete() {
    // Nothing to remove outside the state.
  },
};
