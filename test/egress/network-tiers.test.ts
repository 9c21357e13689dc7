import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyHost, type TierLists } from "../../src/egress/classify-host.ts";
import { defaultTiersText } from "../../src/egress/default-tiers.ts";
import { parseTierList } from "../../src/egress/tier-list.ts";

const defaults = parseTierList(defaultTiersText, "default list");

function lists(overrides: Partial<TierLists> = {}): TierLists {
  return { user: [], providers: [], defaults: defaults.rules, unknown: "allow", ...overrides };
}

describe("network tier lists", () => {
  it("reads the shipped list without a single bad line", () => {
    assert.deepEqual(defaults.issues, []);
    assert.ok(defaults.rules.length > 100, `${defaults.rules.length} rules`);
  });

  it("reads sections, wildcards, comments and blank lines, keeping each rule's line", () => {
    const parsed = parseTierList(
      "# mine\n[tier1]\ngit.example.com  # our forge\n\n[tier5]\n*.Evil.Example.\n",
      "mine.conf",
    );
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(
      parsed.rules.map((rule) => [rule.pattern, rule.tier, rule.line]),
      [
        ["git.example.com", 1, 3],
        ["*.evil.example", 5, 6],
      ],
    );
  });

  it("names the file and line of every bad line: unknown section, a URL, a host outside a section", () => {
    const parsed = parseTierList(
      "stray.example\n[tier9]\n[tier2]\nhttps://x.example/path\nok.example\n",
      "t.conf",
    );
    assert.deepEqual(
      parsed.issues.map((issue) => [issue.source, issue.line]),
      [
        ["t.conf", 1],
        ["t.conf", 2],
        ["t.conf", 4],
      ],
    );
    assert.match(parsed.issues[1]?.message ?? "", /unknown tier section \[tier9\]/);
    assert.match(parsed.issues[2]?.message ?? "", /host only/);
  });
});

describe("classifying a host", () => {
  it("gives code hosts, registries and providers their tiers and allows them", () => {
    assert.deepEqual(
      ["github.com", "objects.githubusercontent.com", "registry.npmjs.org", "api.anthropic.com"].map(
        (host) => {
          const verdict = classifyHost(host, lists());
          return [verdict.tier, verdict.decision];
        },
      ),
      [
        [1, "allow"],
        [1, "allow"],
        [2, "allow"],
        [3, "allow"],
      ],
    );
  });

  it("denies exfiltration sites, tunnels, raw IPs and anonymity network names as tier 5", () => {
    for (const host of [
      "pastebin.com",
      "abc.ngrok.io",
      "x.y.oast.pro",
      "10.0.0.7",
      "::1",
      "[2001:db8::1]",
      "abc.onion",
      "x.i2p",
    ]) {
      const verdict = classifyHost(host, lists());
      assert.equal(verdict.tier, 5, host);
      assert.equal(verdict.decision, "deny", host);
    }
    assert.equal(classifyHost("10.0.0.7", lists()).rule, "raw IP address");
  });

  it("flags an unknown host as tier 4, or denies it with network.unknown: deny", () => {
    assert.deepEqual(
      [
        classifyHost("example.org", lists()).decision,
        classifyHost("example.org", lists({ unknown: "deny" })).decision,
      ],
      ["flag", "deny"],
    );
  });

  it("walks a wildcard up the labels, and a wildcard does not match its own bare domain", () => {
    const user = parseTierList("[tier2]\n*.corp.example\n", "u.conf").rules;
    assert.equal(classifyHost("a.b.corp.example", lists({ user })).tier, 2);
    assert.equal(classifyHost("corp.example", lists({ user })).tier, 4);
  });

  it("lets the user's lists win over the default list and over the raw-IP rule, naming their line", () => {
    const user = parseTierList("[tier5]\ngithub.com\n[tier1]\n127.0.0.2\n", "mine.conf").rules;
    const github = classifyHost("github.com", lists({ user }));
    assert.deepEqual([github.tier, github.decision, github.rule], [5, "deny", "github.com (mine.conf:2)"]);
    const loopback = classifyHost("127.0.0.2", lists({ user }));
    assert.deepEqual([loopback.tier, loopback.decision], [1, "allow"]);
  });

  it("allows the configured model providers' hosts as tier 3", () => {
    const verdict = classifyHost("llm.internal.example", lists({ providers: ["llm.internal.example"] }));
    assert.deepEqual(
      [verdict.tier, verdict.decision, verdict.rule],
      [3, "allow", "a configured model provider"],
    );
  });
});
