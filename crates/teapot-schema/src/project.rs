//! The whole project's state: every model of every app, keyed by `(app, model lowercased)`.

use std::collections::BTreeMap;

use crate::model::ModelState;

/// Every model of every app. Replaying migrations builds one; reading declarations builds another;
/// the autodetector diffs the two.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectState {
    models: BTreeMap<(String, String), ModelState>,
}

impl ProjectState {
    /// An empty project.
    pub fn new() -> ProjectState {
        ProjectState::default()
    }

    fn key(app: &str, name: &str) -> (String, String) {
        (app.to_string(), name.to_lowercase())
    }

    /// Adds or replaces a model.
    pub fn insert(&mut self, model: ModelState) {
        self.models.insert(Self::key(&model.app, &model.name), model);
    }

    /// Removes a model, returning it.
    pub fn remove(&mut self, app: &str, name: &str) -> Option<ModelState> {
        self.models.remove(&Self::key(app, name))
    }

    /// The model `app.name` (the name is case-insensitive, as Django's model keys are).
    pub fn get(&self, app: &str, name: &str) -> Option<&ModelState> {
        self.models.get(&Self::key(app, name))
    }

    /// The model `app.name`, mutable.
    pub fn get_mut(&mut self, app: &str, name: &str) -> Option<&mut ModelState> {
        self.models.get_mut(&Self::key(app, name))
    }

    /// The model a relation's `to` (`app.Model`) points at.
    pub fn resolve(&self, label: &str) -> Option<&ModelState> {
        let (app, name) = label.split_once('.')?;
        self.get(app, name)
    }

    /// Every model, ordered by app then lowercased name.
    pub fn models(&self) -> impl Iterator<Item = &ModelState> {
        self.models.values()
    }

    /// Every model, mutable.
    pub fn models_mut(&mut self) -> impl Iterator<Item = &mut ModelState> {
        self.models.values_mut()
    }

    /// The models of one app.
    pub fn app_models<'a>(&'a self, app: &'a str) -> impl Iterator<Item = &'a ModelState> + 'a {
        self.models.values().filter(move |m| m.app == app)
    }

    /// The apps that have at least one model.
    pub fn apps(&self) -> Vec<String> {
        let mut apps: Vec<String> = self.models.keys().map(|(a, _)| a.clone()).collect();
        apps.dedup();
        apps
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether there is no model.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Keeps only the models of the given apps.
    pub fn retain_apps(&mut self, apps: &[String]) {
        self.models.retain(|(a, _), _| apps.iter().any(|x| x == a));
    }
}
