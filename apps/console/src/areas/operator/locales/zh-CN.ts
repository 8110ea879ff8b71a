export default { nav: { welcome: '首页' } };
