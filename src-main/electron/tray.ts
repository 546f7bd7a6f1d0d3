// Electron's part of the tray: it renders the menu model (src-main/desktop/tray-menu.ts)
// and nothing else. The menu is always set with setContextMenu, since StatusNotifierItem
// hosts show only that menu and never deliver a click event.
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import type { TrayAction, TrayMenuItem } from '../desktop/tray-menu.js';

export class NovaTray {
  private readonly tray: Tray;

  constructor(iconPath: string, private readonly dispatch: (action: TrayAction) => void) {
    this.tray = new Tray(nativeImage.createFromPath(iconPath));
    this.tray.setToolTip('Nova');
  }

  render(items: readonly TrayMenuItem[]): void {
    this.tray.setContextMenu(Menu.buildFromTemplate(toTemplate(items, this.dispatch)));
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }
}

export function toTemplate(items: readonly TrayMenuItem[], dispatch: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'label':
        return { label: item.label, enabled: false };
      case 'action':
        return { label: item.label, click: () => dispatch(item.action) };
      case 'submenu':
        return { label: item.label, submenu: toTemplate(item.items, dispatch) };
    }
  });
}
