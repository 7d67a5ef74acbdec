// A Vue 3 app with vue-router on spa-auth/vue, as an auth0-vue app is written: a status
// line, a guarded route (#/private) and an API call. Tests drive it through `window.auth`
// (the useAuth() plugin) and count renders of the status line in `window.renders`.
import { createApp, h, ref } from 'vue';
import { createRouter, createWebHashHistory, RouterView } from 'vue-router';
import { createAuth, createAuthGuard, useAuth } from 'spa-auth/vue';
import { GenericError, MissingRefreshTokenError } from 'spa-auth';

const config = await (await fetch('/config.json')).json();
window.renders = { status: 0 };
window.sdk = { GenericError, MissingRefreshTokenError };
const tick = ref(0);
window.rerender = () => { tick.value++; };

const Status = {
  setup() {
    const auth = useAuth();
    window.auth = auth;
    return () => {
      window.renders.status++;
      const text = auth.isLoading.value ? 'loading' : auth.isAuthenticated.value ? `signed in as ${auth.user.value.sub}` : 'signed out';
      return h('p', { id: 'status' }, text);
    };
  },
};
const Private = { setup: () => { const auth = useAuth(); return () => h('p', { id: 'private' }, `private for ${auth.user.value.sub}`); } };
const Home = { render: () => h('p', { id: 'home' }, 'home') };

const app = createApp({ render: () => h('div', null, [h(Status), h(RouterView), h('span', { id: 'n' }, String(tick.value))]) });
const router = createRouter({
  history: createWebHashHistory(),
  routes: [{ path: '/', component: Home }, { path: '/private', component: Private, beforeEnter: createAuthGuard(app) }],
});
app.use(createAuth({
  domain: config.issuer,
  clientId: config.clientId,
  authorizationParams: { redirect_uri: `${location.origin}/`, audience: config.audience, scope: `openid profile email ${config.scopes}` },
}));
app.use(router);
app.mount('#root');
