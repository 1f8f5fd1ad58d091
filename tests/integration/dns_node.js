// dns_node.js SERVER — node's own resolver (c-ares, through the C
// library's socket calls) asks SERVER:53; run by dns.sh under the library.
const dns = require('dns');
const r = new dns.Resolver({timeout: 2000, tries: 1});
r.setServers([process.argv[2]]);
const t0 = Date.now();
const show = (tag, e, a) => console.log(tag, e ? e.code : a.join(' '));
r.resolve4('nosuchname.example', (e, a) => {
  show('nosuchname', e, a);
  console.log('fast', Date.now() - t0 < 1000);
  r.resolve4('localhost', (e, a) => {
    show('localhost A', e, a);
    r.resolve6('localhost', (e, a) => {
      show('localhost AAAA', e, a);
      r.resolvePtr('1.0.0.127.in-addr.arpa', (e, a) => show('PTR', e, a));
    });
  });
});
