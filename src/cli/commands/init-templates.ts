/** What `drover init` writes. drover.json may carry comments (drover reads it as JSON with comments). */
export const initConfig = `{
  // Completion and checks in your editor; every key is described there and in drover's README.
  "$schema": "./node_modules/drover/schema/drover.schema.json",
  // The model agents use: drover's built-in scripted model works offline with no API key. For real
  // work name a provider's model ("provider/model") and configure it under "opencode" (README,
  // "Using it for real work"); keys stay in the environment.
  "model": "drover/scripted",
  // Time limit per attempt: 90 (seconds), "30s", "10m", "1h".
  "taskTimeout": "10m",
  // At most this many agents at once (also limited by free memory).
  "capacity": { "maxWorkers": 4 }
}
`;

export const initTasks = `# A drover task file: the tasks below are dispatched to OpenCode agents in parallel.
#
#   drover plan tasks.yaml     # the order and rounds they would run in, without running them
#   drover run tasks.yaml      # run them: live progress, then a summary and results.json
#
# As written, they run on drover's built-in scripted model ("model": "drover/scripted" in
# drover.json): the [[...]] directives tell it which tools to call, so this works offline with no
# API key. For real work, point "model" in drover.json at a real provider (drover's README, "Using
# it for real work"; keys stay in the environment) and write plain prompts without [[...]].
#
# drover.json holds the settings (model, taskTimeout, capacity.maxWorkers, ...); its "$schema"
# line gives editors completion and checks. drover keeps its state in .drover/ (add it to .gitignore).
#
# A task has an id and a prompt; optional: title, dir, model, agent, files, timeout, dependsOn.
# Unknown fields are errors, and drover checks the whole file (models and agents too) before
# anything runs.

defaults:                # applied to every task
  dir: .                 # where the agents work, relative to this file
  timeout: 5m            # time limit per attempt: 90 (seconds), "30s", "10m", "1h"
  # agent: plan          # an OpenCode agent: build (the default), plan, or your own .opencode/agents/NAME.md

tasks:
  - id: hello            # unique: letters, digits, _ and -
    title: Write a greeting
    prompt: |
      Create out/hello.txt with a friendly greeting.
      [[write out/hello.txt Hello from drover!]]
      [[reply Wrote out/hello.txt]]

  - id: listing
    title: List the project files
    prompt: |
      List the files here and save the list to out/files.txt.
      [[bash mkdir -p out && ls -1 > out/files.txt]]
      [[reply Saved the file list to out/files.txt]]

  - id: summary
    title: Summarise the other tasks
    dependsOn: [hello, listing]    # starts only once both have succeeded
    prompt: |
      Read out/hello.txt and out/files.txt, and write out/summary.txt.
      [[bash cat out/hello.txt out/files.txt > out/summary.txt]]
      [[reply Summary written to out/summary.txt]]
`;
