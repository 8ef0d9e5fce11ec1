import net from 'node:net';
import { hostileCase, useHostileHarness } from './harness';

const h = useHostileHarness();
let server: net.Server;
let port: number;
let bridgeGateway: string;
const connections: string[] = [];

beforeAll(async () => {
  // A service on every host address: the sandbox must reach none of them.
  server = net.createServer((socket) => {
    connections.push(String(socket.remoteAddress));
    socket.end('host secret\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  port = (server.address() as net.AddressInfo).port;
  // The default bridge's gateway: as configured, else Docker's default, the subnet's first address.
  const bridge = (await h().cluster.docker.getNetwork('bridge').inspect()) as {
    IPAM: { Config: Array<{ Subnet: string; Gateway?: string }> };
  };
  const config = bridge.IPAM.Config[0]!;
  bridgeGateway = config.Gateway ?? config.Subnet.replace(/\.0\/\d+$/, '.1');
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

function connectProbe(host: string, p: number): string {
  return `s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(3)
report(outcome=attempt(lambda: s.connect((${JSON.stringify(host)}, ${p}))))`;
}

describe('hostile: network', () => {
  hostileCase(h, 'N1 a DNS lookup finds no resolver', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(lookup=attempt(lambda: socket.getaddrinfo("example.com", 443)), resolv=open("/etc/resolv.conf").read())`,
      marker,
    );
    expect(out).toEqual({ lookup: 'gaierror', resolv: '' });
    return result;
  });

  hostileCase(
    h,
    "N2 TCP to a service on the host's loopback is refused (the sandbox has its own)",
    async (h, marker) => {
      const before = connections.length;
      const { result, out } = await h.probe(connectProbe('127.0.0.1', port), marker);
      expect(out.outcome).toBe('ECONNREFUSED');
      expect(connections.length).toBe(before);
      return result;
    },
  );

  hostileCase(h, 'N3 TCP to a host service on the Docker bridge gateway is unreachable', async (h, marker) => {
    const before = connections.length;
    const { result, out } = await h.probe(connectProbe(bridgeGateway, port), marker);
    expect(out.outcome).toBe('ENETUNREACH');
    expect(connections.length).toBe(before);
    return result;
  });

  hostileCase(h, 'N4 the cloud metadata address 169.254.169.254 is unreachable', async (h, marker) => {
    const { result, out } = await h.probe(connectProbe('169.254.169.254', 80), marker);
    expect(out.outcome).toBe('ENETUNREACH');
    return result;
  });

  hostileCase(h, 'N5 raw and packet sockets are refused', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(
    raw=attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)),
    packet=attempt(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)),
)`,
      marker,
    );
    expect(out).toEqual({ raw: 'EPERM', packet: 'EPERM' });
    return result;
  });

  hostileCase(h, 'N6 the only interface is loopback, with no routes out', async (h, marker) => {
    const { result, out } = await h.probe(
      `routes = [l.split()[1] for l in open("/proc/net/route").read().splitlines()[1:]]
report(interfaces=sorted(os.listdir("/sys/class/net")), routes=routes)`,
      marker,
    );
    expect(out).toEqual({ interfaces: ['lo'], routes: [] });
    return result;
  });
});
