export const USAGE = `Usage: inference-mesh <command> [options]

Commands:
  start     run the agent on this machine (API, UI and routing on port 7650)
  status    show what the local agent knows about this machine
  nodes     list the nodes of the mesh as this agent sees them
  key       print this machine's mesh key (give it to other machines with --key)
  service   install | uninstall | status — run the agent at boot or login (systemd, launchd, Task Scheduler)
  doctor    check this machine's setup (port, Ollama bind address, mDNS, Tailscale, Immich key, clock) and print fixes
  admin-token  print this machine's admin credential (log in on the web page, or Authorization: Bearer)
  placement where Ollama and Immich ML run now, and why, for every candidate
  offer     offer now [DURATION] | off [DURATION] | auto — override this node's offer
  pin       pin <ollama|immich-ml> <node> [DURATION] — route a kind to one node
  unpin     unpin <ollama|immich-ml>
  settings  settings reset [KEY…] — drop settings saved on the Setup page (e.g. offer.coolDownSec; none = all): the config file decides again
  help      show this text
  version   print the version

start options:
  --config FILE          configuration file (env INFERENCE_MESH_CONFIG)
  --data-dir DIR         where state is kept (env INFERENCE_MESH_DATA_DIR)
  --port N               agent port, default 7650 (env INFERENCE_MESH_PORT)
  --mdns-interface ADDR  announce and browse on this interface's IPv4 address only
  --key KEY              mesh key to join (env INFERENCE_MESH_KEY)

doctor options:
  --config FILE, --port N   as for start
  --json                    print the results as JSON (exit 1 when any problem)

key and admin-token options:
  --config FILE, --data-dir DIR   as for start: where the key and credential are kept

service options:
  --user                 a per-user service (systemd --user, LaunchAgent, logon task) instead of a machine-wide one
  --dry-run              print the file it would write and the commands it would run; change nothing
  --config FILE          the configuration the service starts with (made absolute)

DURATION: 2h, 30m, 1h30m, 1d (none = until changed).

status, nodes, placement, offer, pin, unpin and settings options:
  --url URL              agent to ask, default http://127.0.0.1:7650 (or INFERENCE_MESH_PORT)
  --json                 print the raw JSON
  --timeout-ms N         give up after this long, default 3000
  --config FILE, --data-dir DIR   offer, pin, unpin, settings: where to read the admin credential

Environment: OLLAMA_HOST (local Ollama, Ollama's own rules), IMMICH_MACHINE_LEARNING_URL.
Exit codes: 0 ok, 1 failure, 2 usage error, 78 bad configuration.`;
