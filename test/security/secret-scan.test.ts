import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { findSecret, findSecretKinds, redactSecrets } from "../../src/security/secret-scan.ts";

/** One sample per pattern: the text and the kind an error must name for it. */
const samples: { kind: string; text: string; secret: string }[] = [
  {
    kind: "private key",
    text: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    secret: "b3BlbnNzaC1rZXktdjEAAAAA",
  },
  { kind: "AWS access key id", text: "use AKIAIOSFODNN7EXAMPLE for s3", secret: "AKIAIOSFODNN7EXAMPLE" },
  {
    kind: "AWS secret access key",
    text: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  },
  {
    kind: "GitHub token",
    text: "push with ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    secret: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
  },
  { kind: "GitLab token", text: "glpat-abcdefghij0123456789", secret: "glpat-abcdefghij0123456789" },
  {
    kind: "Anthropic API key",
    text: "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
    secret: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
  },
  {
    kind: "OpenAI API key",
    text: "OPENAI=sk-proj-abcdefghijklmnopqrstuvwx",
    secret: "sk-proj-abcdefghijklmnopqrstuvwx",
  },
  {
    kind: "Stripe secret key",
    text: "charge with sk_live_abcdefghijklmnop0123456789",
    secret: "sk_live_abcdefghijklmnop0123456789",
  },
  { kind: "Slack token", text: "xoxb-1234567890-abcdefghij", secret: "xoxb-1234567890-abcdefghij" },
  {
    kind: "npm token",
    text: "//registry.npmjs.org/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789",
    secret: "npm_abcdefghijklmnopqrstuvwxyz0123456789",
  },
  {
    kind: "Google API key",
    text: "maps key AIzaSyA1234567890abcdefghijklmnopqrstuv",
    secret: "AIzaSyA1234567890abcdefghijklmnopqrstuv",
  },
  {
    kind: "JSON web token",
    text: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    secret: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  },
  {
    kind: "password in URL",
    text: "clone https://deploy:hunter2hunter2@git.example.com/repo.git",
    secret: "hunter2hunter2",
  },
  { kind: "password or token assignment", text: "DB_PASSWORD=s3cr3t-pa55word", secret: "s3cr3t-pa55word" },
];

/** Ordinary prompt text, and the scripted model's directives, that must not be taken for secrets. */
const harmless = [
  "Fix the login form: the password field must be required and at least 12 characters.",
  "The secret: understanding recursion before writing the parser.",
  "password: required for every account, token: refreshed hourly",
  "Read the token = process.env.GITHUB_TOKEN and pass it to the client.",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CI placeholder, on purpose
  'api_key: ${{ secrets.OPENAI_API_KEY }} in the workflow, and "password": "<your-password>"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, on purpose
  "Connect to postgres://app:${DB_PASSWORD}@db.internal:5432/app and https://user:<password>@host/x",
  "secret: /etc/app/secrets2.yaml, token: https://auth.example.com/oauth2/token, pwd: /srv/app2",
  "Raise max tokens: 4096 and log the token count; rotate the API key monthly.",
  "See https://github.com/acme/widgets/pull/42 and git@github.com:acme/widgets.git",
  "Use the task-runner-skeleton-for-everything module; ask-before-merging-anything policy.",
  "[[write out/hello.txt Hello from drover!]] [[reply Wrote out/hello.txt]]",
  "[[bash mkdir -p out && sha256sum tasks.yaml > out/checksum.txt && cat out/checksum.txt]]",
  '[[structured {"outcome":"blocked","summary":"no key","reason":"needs a deploy key","blocker":"credentials"}]]',
  "[[error 429 times=1 retry-after=1]] [[tokens 90000 2000]] [[slow 500]] [[reply@scripted-large solved it]]",
  '[[edit src/a.ts const x = 1 => const x = 2]] [[tool read {"filePath":"README.md"}]]',
];

describe("secret scan", () => {
  for (const { kind, text } of samples) {
    it(`names the kind "${kind}"`, () => {
      assert.equal(findSecret(text), kind);
    });
  }

  it("finds nothing in ordinary prompt prose or scripted-model directives", () => {
    for (const text of harmless) assert.deepEqual(findSecretKinds(text), [], text);
  });

  it("finds nothing in the quickstart tasks or the scripted-model docs", () => {
    for (const file of ["../../examples/quickstart/tasks.yaml", "../../docs/scripted-model.md"]) {
      const text = readFileSync(new URL(file, import.meta.url), "utf8");
      assert.deepEqual(findSecretKinds(text), [], file);
    }
  });

  it("lists every kind in a text that holds several", () => {
    assert.deepEqual(findSecretKinds("AKIAIOSFODNN7EXAMPLE and ghp_abcdefghijklmnopqrstuvwxyz0123456789"), [
      "AWS access key id",
      "GitHub token",
    ]);
  });
});

describe("redactSecrets", () => {
  it("removes every sample's secret and keeps the text around it", () => {
    for (const { text, secret } of samples) {
      const redacted = redactSecrets(text);
      assert.ok(!redacted.includes(secret), `${secret} survives in ${redacted}`);
      assert.match(redacted, /\[redacted\]/);
    }
    assert.equal(redactSecrets("DB_PASSWORD=s3cr3t-pa55word rest"), "DB_PASSWORD=[redacted] rest");
    assert.equal(
      redactSecrets("clone https://deploy:hunter2hunter2@git.example.com/x"),
      "clone https://deploy:[redacted]@git.example.com/x",
    );
    assert.equal(
      redactSecrets("provider said: invalid key AKIAIOSFODNN7EXAMPLE (403)"),
      "provider said: invalid key [redacted] (403)",
    );
  });

  it("redacts a private key's body, not only its header", () => {
    const text =
      "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nafter";
    assert.equal(redactSecrets(text), "key:\n[redacted]\nafter");
    assert.equal(redactSecrets("-----BEGIN PRIVATE KEY-----\nMIIEvQ (cut off"), "[redacted]");
  });

  it("merges overlapping matches into one [redacted]", () => {
    assert.equal(redactSecrets("token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 end"), "token=[redacted] end");
  });

  it("leaves text without secrets unchanged", () => {
    for (const text of harmless) assert.equal(redactSecrets(text), text);
  });
});
