// The Dashboard's guest lists as React state, kept current by watchGuestLists.
import { useEffect, useState } from 'react';
import { useServices } from '../../app/services.js';
import { NO_GUEST_LISTS, watchGuestLists, type GuestLists } from './guest-lists.js';

export function useGuestLists(): GuestLists {
  const { client } = useServices();
  const [lists, setLists] = useState<GuestLists>(NO_GUEST_LISTS);
  useEffect(() => watchGuestLists(client, setLists), [client]);
  return lists;
}
