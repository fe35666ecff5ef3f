import { describe, expect, it } from "vitest";
import { dockerName, stackLabels } from "../../infra/dockerNames.js";

describe("Docker names and labels", () => {
  it("puts the stack in every Docker name and label set", () => {
    expect(dockerName("ci", "postgres")).toBe("confradar-ci-postgres");
    expect(stackLabels("dev", "pgdata")).toEqual({
      "com.confradar.project": "confradar",
      "com.confradar.stack": "dev",
      "com.confradar.role": "pgdata",
    });
  });
});
