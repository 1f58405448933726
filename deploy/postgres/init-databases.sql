-- One database per service (compose): each service owns its data.
CREATE DATABASE applications;
CREATE DATABASE selection;
CREATE DATABASE workshops;
CREATE DATABASE publishing;
CREATE DATABASE admin;
CREATE DATABASE webhooks;
CREATE DATABASE identity;
