import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decomposePrompt } from "../../src/decompose/decompose-prompt.ts";
import { decompositionJsonSchema } from "../../src/decompose/decomposition-report.ts";
import { type ScriptedModelServer, startScriptedModel } from "../../src/mock-model/server.ts";

describe("scripted model: decomposition requests", () => {
  let model: ScriptedModelServer;
  before(async () => {
    model = await startScriptedModel();
  });
  after(() => model.close());

  /** Asks as drover does (its prompt, its schema) and returns the report the model gives. */
  const decompose = async (brief: string, max = 5) => {
    const response = await fetch(`${model.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "scripted",
        messages: [{ role: "user", content: decomposePrompt({ brief, max, within: [] }) }],
        tools: [
          { type: "function", function: { name: "write" } },
          {
            type: "function",
            function: { name: "StructuredOutput", parameters: decompositionJsonSchema(max) },
          },
        ],
      }),
    });
    const body = (await response.json()) as {
      choices: { message: { tool_calls: { function: { name: string; arguments: string } }[] } }[];
    };
    const call = body.choices[0]?.message.tool_calls[0]?.function;
    assert.equal(call?.name, "StructuredOutput");
    return JSON.parse(call?.arguments ?? "{}") as Record<string, any>;
  };

  it("splits a brief that lists parts: one subtask per item, with after: and touches:", async () => {
    const report = await decompose(
      [
        "Build a CRM",
        "- Contacts touches:src/contacts/**,src/shared/**",
        "- Deals after:1",
        "    - Deal model",
        "    - Deal board",
        "- Email after:1,2 [[write mail.txt hi]]",
      ].join("\n"),
    );
    assert.equal(report.kind, "composite");
    assert.deepEqual(
      report.subtasks.map((s: any) => [s.title, s.dependsOn, s.touches]),
      [
        ["Contacts", [], ["src/contacts/**", "src/shared/**"]],
        ["Deals", [1], []],
        ["Email", [1, 2], []],
      ],
    );
    // The nested outline goes with its part (to be split one level down); directives stay in the prompt.
    assert.equal(report.subtasks[1].prompt, "Deals\n- Deal model\n- Deal board");
    assert.equal(report.subtasks[2].prompt, "Email [[write mail.txt hi]]");
  });

  it("finds a brief without a list atomic, and obeys [[atomic]]", async () => {
    assert.equal((await decompose("Fix the typo in README.md")).kind, "atomic");
    assert.equal((await decompose("[[atomic]] A checklist\n- one\n- two")).kind, "atomic");
  });

  it("keeps to the schema's maxItems by putting the overflow in the last subtask", async () => {
    const report = await decompose("Chores\n- a\n- b after:1\n- c after:2\n- d after:1", 3);
    assert.deepEqual(
      report.subtasks.map((s: any) => [s.title, s.dependsOn]),
      [
        ["a", []],
        ["b", [1]],
        ["c and 1 more", [2, 1]],
      ],
    );
    assert.equal(report.subtasks[2].prompt, "- c\n- d");
  });

  it("answers [[decomposition {json}]] as given, and ignores directives inside list items", async () => {
    const given = { kind: "composite", reason: "scripted", subtasks: [] };
    assert.deepEqual(await decompose(`Plan [[decomposition ${JSON.stringify(given)}]]`), given);
    const report = await decompose('Two parts\n- one [[decomposition {"kind":"banana"}]]\n- two');
    assert.equal(report.kind, "composite");
  });
});
