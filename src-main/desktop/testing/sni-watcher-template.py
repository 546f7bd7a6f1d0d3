'''A StatusNotifierWatcher for python-dbusmock, as KDE Plasma and the GNOME AppIndicator
extension provide one: items and hosts register, and the watcher tells who did.
Parameter "host": start with a host already registered (true/false).
'''

import dbus

BUS_NAME = 'org.kde.StatusNotifierWatcher'
MAIN_OBJ = '/StatusNotifierWatcher'
MAIN_IFACE = 'org.kde.StatusNotifierWatcher'
SYSTEM_BUS = False


def load(mock, parameters):
    mock.AddProperties(MAIN_IFACE, {
        'IsStatusNotifierHostRegistered': dbus.Boolean(bool(parameters.get('host', False))),
        'RegisteredStatusNotifierItems': dbus.Array([], signature='s'),
        'ProtocolVersion': dbus.Int32(0),
    })
    mock.AddMethods(MAIN_IFACE, [
        ('RegisterStatusNotifierItem', 's', '',
         'items = self.Get("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems")\n'
         'self.Set("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems", dbus.Array(list(items) + [args[0]], signature="s"))\n'
         'self.EmitSignal("org.kde.StatusNotifierWatcher", "StatusNotifierItemRegistered", "s", [args[0]])'),
        ('RegisterStatusNotifierHost', 's', '',
         'self.Set("org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered", True)\n'
         'self.EmitSignal("org.kde.StatusNotifierWatcher", "StatusNotifierHostRegistered", "", [])'),
    ])
