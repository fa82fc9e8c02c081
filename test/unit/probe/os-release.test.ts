import { describe, expect, it } from 'vitest';
import { parseOsRelease, readOsRelease } from '../../../agent/probe/os-release.js';
import { createFakeFs } from '../../fakes/io.js';

describe('os-release (the Linux distribution without si.osInfo)', () => {
  it.each([
    ['Ubuntu: the release is what PRETTY_NAME says after the name', 'NAME="Ubuntu"\nVERSION="24.04.1 LTS (Noble Numbat)"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\nVERSION_ID="24.04"\n', { distro: 'Ubuntu', release: '24.04.1 LTS' }],
    ['Debian: the codename in brackets is dropped', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n', { distro: 'Debian GNU/Linux', release: '12' }],
    ['no PRETTY_NAME: VERSION', "NAME='Fedora Linux'\nVERSION=\"41 (Workstation Edition)\"\n", { distro: 'Fedora Linux', release: '41' }],
    ['a rolling release: only VERSION_ID, or nothing', 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nBUILD_ID=rolling\n', { distro: 'Arch Linux', release: null }],
    ['comments, blank lines and CRLF are skipped', '# a comment\r\n\r\nNAME=Alpine Linux\r\nVERSION_ID=3.20.3\r\n', { distro: 'Alpine Linux', release: '3.20.3' }],
    ['empty', '', { distro: null, release: null }],
  ])('%s', (_name, text, want) => {
    expect(parseOsRelease(text)).toEqual(want);
  });

  it('reads /etc/os-release, else /usr/lib/os-release, else gives nulls', async () => {
    expect(await readOsRelease(createFakeFs({ '/usr/lib/os-release': 'NAME=NixOS\nVERSION_ID=24.11\n' }))).toEqual({ distro: 'NixOS', release: '24.11' });
    expect(await readOsRelease(createFakeFs({ '/etc/os-release': 'NAME=Etc\n', '/usr/lib/os-release': 'NAME=Usr\n' }))).toEqual({ distro: 'Etc', release: null });
    expect(await readOsRelease(createFakeFs({}))).toEqual({ distro: null, release: null });
  });
});
