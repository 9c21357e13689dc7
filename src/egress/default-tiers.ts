/**
 * The network tiers drover ships, in the seeds' `network-tiers.conf` format: `[tierN]` sections,
 * one domain per line, `*.example.com` for every subdomain, `#` comments. Tier 4 is implicit: any
 * host not listed. Tier 1 code hosts; 2 package and container registries; 3 documentation, model
 * providers and CDNs; 5 exfiltration (paste and file drops, request bins, tunnels, out-of-band
 * interaction sites, URL shorteners). Raw IP addresses and `.onion`/`.i2p`/`.bit` are tier 5 by rule.
 */
export const defaultTiersText = `
[tier1]
# Code hosts
github.com
*.github.com
githubusercontent.com
*.githubusercontent.com
gitlab.com
*.gitlab.com
bitbucket.org
*.bitbucket.org
codeberg.org
sr.ht
*.sr.ht

[tier2]
# Package registries
registry.npmjs.org
registry.yarnpkg.com
npm.pkg.github.com
pypi.org
files.pythonhosted.org
crates.io
static.crates.io
index.crates.io
proxy.golang.org
sum.golang.org
rubygems.org
repo.maven.apache.org
repo1.maven.org
plugins.gradle.org
api.nuget.org
packagist.org
hex.pm
deb.debian.org
security.debian.org
archive.ubuntu.com
security.ubuntu.com
dl-cdn.alpinelinux.org
# Container registries
ghcr.io
registry-1.docker.io
auth.docker.io
production.cloudflare.docker.com
quay.io
gcr.io
*.pkg.dev
public.ecr.aws

[tier3]
# Documentation
developer.mozilla.org
docs.python.org
nodejs.org
docs.rs
pkg.go.dev
docs.github.com
stackoverflow.com
*.stackexchange.com
*.readthedocs.io
readthedocs.org
en.wikipedia.org
# Model providers
api.openai.com
api.anthropic.com
openrouter.ai
generativelanguage.googleapis.com
api.mistral.ai
api.groq.com
api.deepseek.com
api.together.xyz
api.fireworks.ai
models.dev
# CDNs
cdn.jsdelivr.net
unpkg.com
cdnjs.cloudflare.com
fonts.googleapis.com
fonts.gstatic.com

[tier5]
# Paste sites and file drops
pastebin.com
paste.ee
hastebin.com
ghostbin.com
dpaste.org
termbin.com
transfer.sh
file.io
0x0.st
gofile.io
catbox.moe
*.catbox.moe
temp.sh
anonfiles.com
wetransfer.com
# Request bins and webhook catchers
webhook.site
requestbin.com
*.requestbin.com
requestcatcher.com
*.requestcatcher.com
pipedream.net
*.m.pipedream.net
beeceptor.com
*.beeceptor.com
hookbin.com
# Tunnels
ngrok.io
*.ngrok.io
*.ngrok-free.app
*.ngrok.app
*.trycloudflare.com
*.loca.lt
localtunnel.me
serveo.net
*.serveo.net
*.localhost.run
*.pagekite.me
# Out-of-band interaction and DNS logging
interact.sh
*.interact.sh
oast.pro
*.oast.pro
oast.live
*.oast.live
oast.site
*.oast.site
oast.fun
*.oast.fun
oast.me
*.oast.me
*.burpcollaborator.net
*.oastify.com
dnslog.cn
*.dnslog.cn
*.ceye.io
canarytokens.com
# URL shorteners
bit.ly
tinyurl.com
t.co
goo.gl
is.gd
v.gd
ow.ly
rebrand.ly
cutt.ly
shorturl.at
`;
